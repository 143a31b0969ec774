export const dynamic = 'force-dynamic';
export default function Page() {
  return <main><h1>dropscope</h1></main>;
}
